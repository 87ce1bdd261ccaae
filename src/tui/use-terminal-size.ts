/** The terminal's size, updated when it is resized (Ink re-lays out; the table must re-fit). */
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

export interface TerminalSize {
  columns: number;
  rows: number;
}

export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = () => setSize(sizeOf(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

const sizeOf = (stdout: NodeJS.WriteStream): TerminalSize => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });

/** Re-renders every `ms`, for ages ("updated 3s ago") that move while nothing else does. */
export function useNow(now: () => Date, ms = 1000): Date {
  const [current, setCurrent] = useState(now);
  useEffect(() => {
    const ticker = setInterval(() => setCurrent(now()), ms);
    return () => clearInterval(ticker);
  }, [now, ms]);
  return current;
}
