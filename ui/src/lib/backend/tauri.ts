// The Tauri 2 shell: commands are snake_case, argument keys camelCase (Tauri converts them).
import { Channel, invoke } from '@tauri-apps/api/core';
import type { AppInfo } from '../bindings/AppInfo';
import type { LoginForm } from '../bindings/LoginForm';
import type { WallData } from '../bindings/WallData';
import type { WallEvent } from '../bindings/WallEvent';
import type { Backend, Unsubscribe } from './backend';
import { toApiError } from './errors';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toApiError(e);
  }
}

export class TauriBackend implements Backend {
  appInfo(): Promise<AppInfo> {
    return call('app_info');
  }

  login(form: LoginForm): Promise<AppInfo> {
    return call('login', { form });
  }

  logout(): Promise<AppInfo> {
    return call('logout');
  }

  wallData(): Promise<WallData> {
    return call('wall_data');
  }

  demoSetOnline(online: boolean): Promise<void> {
    return call('demo_set_online', { online });
  }

  async wallSubscribe(onEvent: (event: WallEvent) => void): Promise<Unsubscribe> {
    let active = true;
    const channel = new Channel<WallEvent>();
    channel.onmessage = (event) => {
      if (active) onEvent(event);
    };
    await call<void>('wall_subscribe', { onEvent: channel });
    // There is no unsubscribe command: the shell replaces the channel on the next subscribe.
    return () => {
      active = false;
    };
  }
}
