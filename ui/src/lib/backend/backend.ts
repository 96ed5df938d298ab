// The one interface the screens use to reach the app: Tauri IPC in the desktop shell, a mock in
// a plain browser (development and screenshots). Every method rejects with an `ApiError`.
import type { AppInfo } from '../bindings/AppInfo';
import type { LoginForm } from '../bindings/LoginForm';
import type { WallData } from '../bindings/WallData';
import type { WallEvent } from '../bindings/WallEvent';

export type Unsubscribe = () => void;

export interface Backend {
  appInfo(): Promise<AppInfo>;
  login(form: LoginForm): Promise<AppInfo>;
  logout(): Promise<AppInfo>;
  wallData(): Promise<WallData>;
  /** Live wall events until the returned function is called. */
  wallSubscribe(onEvent: (event: WallEvent) => void): Promise<Unsubscribe>;
  /** Demo mode only: stop or restart the embedded hub, as if the hall's network were cut. */
  demoSetOnline(online: boolean): Promise<void>;
}
