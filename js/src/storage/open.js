// Picks the record store (README.md): IndexedDB in browsers, localStorage where IndexedDB is
// missing or broken (or `storage: 'localStorage'`), memory as the third. Never rejects.
import { openIndexedDbStore } from './indexeddb.js';
import { createKeyValueRecordStore, localStorageKv } from './key-value.js';
import { createMemoryRecordStore } from './memory.js';

// want: 'indexeddb' | 'localStorage' | 'memory' | undefined (= best available).
// Returns {store, problems: [messages of the stores that could not be used]}.
export async function openBrowserRecordStore(writeKey, want) {
  const problems = [];
  if (!want || want === 'indexeddb') {
    try {
      return { store: await openIndexedDbStore(`touchpoint:${writeKey}`), problems };
    } catch (err) {
      problems.push(`IndexedDB unusable (${(err && err.message) || err})`);
    }
  }
  if (want !== 'memory') {
    const kv = localStorageKv();
    if (kv) return { store: createKeyValueRecordStore(kv, `tp:${writeKey}:r:`, 'localStorage'), problems };
    problems.push('localStorage unusable');
  }
  return { store: createMemoryRecordStore(), problems };
}
