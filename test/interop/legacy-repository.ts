// A repository of borg's old passphrase mode (TYPE 0x01, removed in borg 1.0), which no tool can
// create any more: its key is derived from the passphrase and the manifest envelope carries the
// legacy TYPE byte. Built from the library's parts for the migrate-to-repokey tests.
import { parseCompressionSpec, Compressor } from '../../src/compress/index.js';
import { Key, LEGACY_PASSPHRASE_TYPE, legacyPassphraseMaterial, MANIFEST_ID } from '../../src/crypto/index.js';
import { ObjectCodec } from '../../src/crypto/object-codec.js';
import { Manifest } from '../../src/archive/manifest.js';
import { LocalRepository } from '../../src/repository/local-repository.js';

export async function createLegacyPassphraseRepository(path: string, passphrase: string): Promise<void> {
  const repository = await LocalRepository.create(path);
  try {
    // The legacy key reads and writes like a repokey; only the TYPE byte differs.
    const key = Key.fromMaterial('repokey', legacyPassphraseMaterial(passphrase, repository.id));
    const codec = new ObjectCodec(key, new Compressor(parseCompressionSpec('lz4')), { take: () => 0n });
    const { envelope } = codec.packWithId(MANIFEST_ID, new Manifest(key).pack());
    envelope[0] = LEGACY_PASSPHRASE_TYPE;
    await repository.put(MANIFEST_ID, envelope);
    await repository.commit({ compact: false });
  } finally {
    await repository.close();
  }
}
