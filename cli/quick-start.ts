/** The commands `npm start` prints for a first verification; they work pasted as one block. */
export function quickStartCommands(imagesDir = '.local/images'): string[] {
  return [
    `npm run -s test-images -- ${imagesDir}`,
    [
      'npm run -s cli -- verify --id-country US --id-type DL \\',
      `  --front ${imagesDir}/blurry-front.jpg --front ${imagesDir}/drivers-license-front.jpg \\`,
      `  --back ${imagesDir}/drivers-license-back.jpg`,
    ].join('\n'),
  ];
}
