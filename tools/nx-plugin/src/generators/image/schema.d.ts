export interface ImageGeneratorOptions {
  name: string;
  parent: string;
  streams?: string;
  imageName?: string;
  description?: string;
}
