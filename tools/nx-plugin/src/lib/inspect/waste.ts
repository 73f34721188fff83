import type { LayerFile, LayerFiles } from './layer-files';

export type WasteKind = 'permissions' | 'unchanged-copy' | 'overwritten' | 'deleted';

/** Bytes an earlier layer holds that a later layer made invisible. */
export interface LayerWaste {
  path: string;
  bytes: number;
  /** Index (bottom = 0) of the layer that stores the file again or deletes it. */
  layer: number;
  /** Index of the layer whose copy is now dead weight. */
  earlierLayer: number;
  kind: WasteKind;
}

interface Visible extends LayerFile {
  layer: number;
}

/**
 * The visible file system while layers are stacked, with a child index so
 * deleting a directory costs the size of its subtree, not of the image.
 */
class StackedTree {
  private readonly files = new Map<string, Visible>();
  private readonly children = new Map<string, Set<string>>();

  get(path: string): Visible | undefined {
    return this.files.get(path);
  }

  set(file: Visible): void {
    this.files.set(file.path, file);
    // Layers need not list a file's directories, so link every ancestor up to one already known.
    for (let path = file.path; path !== ''; path = parentOf(path)) {
      const parent = parentOf(path);
      let siblings = this.children.get(parent);
      if (!siblings) this.children.set(parent, (siblings = new Set()));
      if (siblings.has(path)) break;
      siblings.add(path);
    }
  }

  /** Removes `path` and everything under it; returns what was removed. */
  removeTree(path: string, into: Visible[] = []): Visible[] {
    const file = this.files.get(path);
    if (file) {
      this.files.delete(path);
      this.children.get(parentOf(path))?.delete(path);
      into.push(file);
    }
    this.removeChildren(path, into);
    return into;
  }

  /** Removes everything under `directory`, keeping the directory itself. */
  removeChildren(directory: string, into: Visible[] = []): Visible[] {
    const children = this.children.get(directory);
    if (children) {
      this.children.delete(directory);
      for (const child of [...children]) this.removeTree(child, into);
    }
    return into;
  }
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function restoredKind(earlier: LayerFile, later: LayerFile): WasteKind {
  if (earlier.contentDigest === undefined || later.contentDigest === undefined || earlier.contentDigest !== later.contentDigest) return 'overwritten';
  const sameMetadata = earlier.mode === later.mode && earlier.uid === later.uid && earlier.gid === later.gid;
  return sameMetadata ? 'unchanged-copy' : 'permissions';
}

/**
 * Counts waste the way dive does, for the layers from `firstOwnLayer` on:
 * a file such a layer stores again although an earlier layer already has it
 * (same content with only its mode or owner changed, the same file copied
 * again, or new content) and a file such a layer deletes: in each case the
 * earlier copy's bytes still ship in the image and nobody can see them. The
 * bytes counted are those of the hidden copy.
 */
export function countWaste(layers: LayerFiles[], firstOwnLayer: number): LayerWaste[] {
  const tree = new StackedTree();
  const waste: LayerWaste[] = [];
  layers.forEach((layer, index) => {
    const own = index >= firstOwnLayer;
    const hidden = new Map<string, Visible>();
    for (const directory of layer.opaqueDirectories) {
      for (const file of tree.removeChildren(directory)) hidden.set(file.path, file);
    }
    for (const path of layer.deleted) {
      for (const file of tree.removeTree(path)) hidden.set(file.path, file);
    }
    for (const file of layer.files) {
      const earlier = tree.get(file.path) ?? hidden.get(file.path);
      hidden.delete(file.path);
      if (own && earlier && earlier.kind === 'file' && earlier.size > 0) {
        waste.push({ path: `/${file.path}`, bytes: earlier.size, layer: index, earlierLayer: earlier.layer, kind: file.kind === 'file' ? restoredKind(earlier, file) : 'overwritten' });
      }
      if (earlier && earlier.kind === 'directory' && file.kind !== 'directory') tree.removeTree(file.path);
      tree.set({ ...file, layer: index });
    }
    if (!own) return;
    for (const file of hidden.values()) {
      if (file.kind === 'file' && file.size > 0) waste.push({ path: `/${file.path}`, bytes: file.size, layer: index, earlierLayer: file.layer, kind: 'deleted' });
    }
  });
  return waste;
}
