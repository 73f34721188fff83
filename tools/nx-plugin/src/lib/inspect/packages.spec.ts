import { diffPackages, parsePackageListing } from './packages';

describe('parsePackageListing', () => {
  it('reads each section, sorted, with empty lists for absent managers', () => {
    const output = [
      '### kf-packages dpkg',
      'zlib1g\t1:1.2.13',
      'bash\t5.2-2',
      '### kf-packages conda',
      '### kf-packages pip',
      'numpy\t2.1.0',
      'WARNING: something on stdout',
      '### kf-packages r',
      '',
    ].join('\n');
    expect(parsePackageListing(output)).toEqual({
      dpkg: [
        { name: 'bash', version: '5.2-2' },
        { name: 'zlib1g', version: '1:1.2.13' },
      ],
      conda: [],
      pip: [{ name: 'numpy', version: '2.1.0' }],
      r: [],
    });
  });
});

describe('diffPackages', () => {
  it('lists added, removed and changed packages', () => {
    const before = [
      { name: 'a', version: '1' },
      { name: 'b', version: '1' },
    ];
    const after = [
      { name: 'b', version: '2' },
      { name: 'c', version: '1' },
    ];
    expect(diffPackages(before, after)).toEqual({ added: [{ name: 'c', version: '1' }], removed: [{ name: 'a', version: '1' }], changed: [{ name: 'b', from: '1', to: '2' }] });
  });
});
