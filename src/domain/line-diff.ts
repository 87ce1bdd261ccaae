/**
 * A line diff of two texts (longest common subsequence), as `-`/`+` lines with two lines of
 * context around each change: enough to read what changed between two revisions of a manifest.
 * Manifests are small (a few hundred lines), so the quadratic table is cheap.
 */
const CONTEXT = 2;

export function lineDiff(before: string, after: string): string[] {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const lines: Array<{ mark: ' ' | '-' | '+'; text: string }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ mark: ' ', text: a[i++]! });
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Removals before additions, as a unified diff reads.
      lines.push({ mark: '-', text: a[i++]! });
    } else {
      lines.push({ mark: '+', text: b[j++]! });
    }
  }
  const near = (index: number) => lines.slice(Math.max(0, index - CONTEXT), index + CONTEXT + 1).some((line) => line.mark !== ' ');
  const shown: string[] = [];
  let skipped = false;
  lines.forEach((line, index) => {
    if (line.mark !== ' ' || near(index)) {
      if (skipped && shown.length > 0) shown.push('…');
      shown.push(`${line.mark} ${line.text}`);
      skipped = false;
    } else {
      skipped = true;
    }
  });
  return shown;
}
