// --debug-profile FILE: a V8 CPU profile of the command, written as a .cpuprofile JSON file that
// Chrome DevTools and speedscope open. (borg writes Python profiler data; nothing reads both.)

import { open } from 'node:fs/promises';

export async function withCpuProfile<T>(file: string | undefined, run: () => Promise<T>): Promise<T> {
  if (file === undefined) return run();
  // Open first, like borg, so that a bad path fails before the work instead of after it.
  const handle = await open(file, 'w');
  // Loaded only here: most runs never profile, and every run pays for what main.ts imports.
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    try {
      return await run();
    } finally {
      const { profile } = await session.post('Profiler.stop');
      await handle.writeFile(JSON.stringify(profile));
    }
  } finally {
    session.disconnect();
    await handle.close();
  }
}
