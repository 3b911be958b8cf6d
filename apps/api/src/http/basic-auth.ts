import { safeEqual } from '@app/crypto';

/** Whether an Authorization header carries HTTP Basic credentials equal to these, compared in constant time. */
export function basicAuthMatches(header: string | undefined, user: string, password: string): boolean {
  const [scheme, encoded] = (header ?? '').split(' ');
  if (scheme !== 'Basic' || !encoded) return false;
  const [givenUser, ...rest] = Buffer.from(encoded, 'base64').toString().split(':');
  // Both compared, always: which one was wrong takes no longer to find out.
  const userMatches = safeEqual(givenUser ?? '', user);
  const passwordMatches = safeEqual(rest.join(':'), password);
  return userMatches && passwordMatches;
}
