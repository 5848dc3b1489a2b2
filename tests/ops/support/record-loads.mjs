// Preloaded with `node --import`: records every module the process resolves, through
// both `import` and `require` (module.registerHooks sees both), and prints the list as
// JSON on exit so a parent process can tell which packages an entry module pulls in.
import { registerHooks } from 'node:module';

const loaded = new Set();

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    loaded.add(resolved.url);
    return resolved;
  },
});

process.on('exit', () => {
  process.stdout.write(`\nLOADED-MODULES ${JSON.stringify([...loaded])}\n`);
});
