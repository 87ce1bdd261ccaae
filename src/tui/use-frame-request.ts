/**
 * Frames asked for by work in the background — a poll's rows, a read ahead, a row's metrics —
 * drawn a moment later unless another frame is drawn first (a key's, say). That work keeps what
 * it read in refs, which any render reads, so the frame drawn first shows it too: a key pressed
 * while a background frame is pending costs one frame for both, not two back to back (a frame
 * is 10–30 ms of CPU at 160 × 50, and a key waiting behind another one missed 50 ms).
 *
 * @example
 * const requestFrame = useFrameRequest();
 * rows.current = read;
 * requestFrame(16);
 */
import { useCallback, useEffect, useLayoutEffect, useReducer, useRef } from 'react';

export function useFrameRequest(): (delayMs: number) => void {
  const [, draw] = useReducer((n: number) => n + 1, 0);
  const pending = useRef<{ timer: NodeJS.Timeout; due: number } | null>(null);
  // Any render of the component draws what was asked for: the request is void. A layout effect,
  // run as the render is committed: a passive effect runs later, and would also void a request
  // made after the render read the refs.
  useLayoutEffect(() => {
    if (pending.current === null) return;
    clearTimeout(pending.current.timer);
    pending.current = null;
  });
  useEffect(
    () => () => {
      if (pending.current !== null) clearTimeout(pending.current.timer);
    },
    [],
  );
  return useCallback((delayMs: number) => {
    const due = performance.now() + delayMs;
    if (pending.current !== null) {
      if (pending.current.due <= due) return;
      clearTimeout(pending.current.timer);
    }
    pending.current = { timer: setTimeout(draw, delayMs), due };
  }, []);
}
