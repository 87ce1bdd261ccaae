/**
 * Frames asked for by background work (src/tui/use-frame-request.ts): drawn a moment later, or
 * with any frame drawn before then — a key and a poll that meet cost one frame, not two.
 */
import { Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useFrameRequest } from '../../src/tui/use-frame-request.js';

let renders = 0;
let request: (delayMs: number) => void = () => {};

function Probe({ label }: { label: string }) {
  request = useFrameRequest();
  renders += 1;
  return <Text>{label}</Text>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  cleanup();
  renders = 0;
});

describe('useFrameRequest', () => {
  it('draws the frame asked for once, however often it is asked for meanwhile', async () => {
    render(<Probe label="a" />);
    const before = renders;
    request(20);
    request(20);
    request(5);
    await vi.waitFor(() => expect(renders).toBe(before + 1));
    await sleep(60);
    expect(renders).toBe(before + 1);
  });

  it('draws no frame of its own when another frame is drawn before it is due', async () => {
    const app = render(<Probe label="a" />);
    const before = renders;
    request(40);
    // A key's frame, say: it shows what the request was for.
    app.rerender(<Probe label="b" />);
    expect(renders).toBe(before + 1);
    await sleep(100);
    expect(renders).toBe(before + 1);
    expect(app.lastFrame()).toBe('b');
  });
});
