import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { loadConfigFile, type GatewayConfig } from '../config/index.ts';

export interface ConfigReloader {
  /** Reads and validates the file now (SIGHUP); applies it only when valid. */
  reload(trigger: string): boolean;
  close(): void;
}

/**
 * Reloads `path` on demand and when it changes on disk. The directory is watched (editors and
 * config managers replace files by rename), events are debounced by `debounceMs` (default 250),
 * and an invalid file is reported through `onError` while the previous config stays.
 */
export function watchConfigFile(
  path: string,
  opts: {
    apply: (config: GatewayConfig) => void;
    onReloaded?: (trigger: string) => void;
    onError: (err: Error, trigger: string) => void;
    debounceMs?: number;
    watchFile?: boolean;
  },
): ConfigReloader {
  const reload = (trigger: string): boolean => {
    let next: GatewayConfig;
    try {
      next = loadConfigFile(path);
    } catch (err) {
      opts.onError(err as Error, trigger);
      return false;
    }
    opts.apply(next);
    opts.onReloaded?.(trigger);
    return true;
  };
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (opts.watchFile !== false) {
    const name = basename(path);
    watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(timer);
      timer = setTimeout(() => reload('file change'), opts.debounceMs ?? 250);
    });
  }
  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
