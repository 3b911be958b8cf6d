import { randomInt } from 'node:crypto';

/**
 * Number matching: the confirming page shows `code`, the push notification offers `choices`, and the user
 * must pick the one shown, so a blind "approve" on an unexpected push does not confirm anything.
 */
export function newMatchCode(): { code: string; choices: string[] } {
  // A Set keeps insertion order: the first number drawn is the code, the next two distinct ones are decoys.
  const drawn = new Set<number>();
  while (drawn.size < 3) drawn.add(randomInt(10, 100));
  const choices = [...drawn].map(String);
  const code = choices[0];
  // Fisher-Yates with a CSPRNG so the code's position gives nothing away.
  for (let i = choices.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [choices[i], choices[j]] = [choices[j], choices[i]];
  }
  return { code, choices };
}
