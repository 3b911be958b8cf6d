/** Injection token of the app's database identity (`api`, `notifier`, `confirmer`). */
export const APP_ROLE = Symbol('APP_ROLE');
