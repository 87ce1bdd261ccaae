/**
 * Questions at a terminal. The answer is read key by key in raw mode, so Ctrl-C and Ctrl-D mean
 * what a person means by them: Ctrl-C stops the command (exit 130), Ctrl-D on an empty answer
 * declines (exit 8), and neither is reported as an error. Off a terminal nothing is asked: the
 * command refuses and names the flag that answers instead, so a script never hangs on a prompt it
 * cannot see.
 */
import { DeclinedError, InterruptedError, UsageError } from '../domain/errors.js';
import { canPrompt, type IO } from './io.js';

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const ESCAPE = '\u001b';
const BACKSPACE = new Set(['\u007f', '\b']);

type Answer = { kind: 'line'; text: string } | { kind: 'interrupt' } | { kind: 'end' };

/**
 * Asks `question [y/N]` on stderr and returns when the answer is yes. `yes` (the --yes flag)
 * answers without asking; off a terminal, without it, the command refuses.
 */
export async function confirm(io: IO, question: string, options: { yes?: boolean | undefined; flagHint?: string } = {}): Promise<void> {
  if (options.yes) return;
  if (!canPrompt(io)) {
    throw new UsageError(`${question.replace(/\?$/, '')}: refusing without confirmation`, { hint: `not a terminal; pass ${options.flagHint ?? '--yes'} to confirm` });
  }
  const answer = await readAnswer(io, `${question} [y/N] `, false);
  if (answer.kind === 'interrupt') throw new InterruptedError('prompt');
  if (answer.kind === 'end' || !/^y(es)?$/i.test(answer.text.trim())) throw new DeclinedError(`not confirmed: ${question}`);
}

/** Asks for a secret with nothing echoed, as `docker login` and `sudo` do. Needs a terminal. */
export async function askSecret(io: IO, label: string): Promise<string> {
  const answer = await readAnswer(io, `${label}: `, true);
  if (answer.kind === 'interrupt') throw new InterruptedError('prompt');
  if (answer.kind === 'end') throw new DeclinedError(`no ${label.toLowerCase()} given`);
  if (answer.text === '') throw new UsageError(`${label.toLowerCase()}: nothing was typed`);
  return answer.text;
}

function readAnswer(io: IO, prompt: string, hidden: boolean): Promise<Answer> {
  const { stdin, stderr } = io;
  stderr.write(prompt);
  const wasRaw = stdin.isRaw;
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve) => {
    let text = '';
    const echo = (chars: string) => {
      if (!hidden) stderr.write(chars);
    };
    const finish = (answer: Answer) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      // The answer's Enter (or the key that ended it) was not echoed in raw mode.
      stderr.write('\n');
      resolve(answer);
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === CTRL_C) return finish({ kind: 'interrupt' });
        if (character === CTRL_D) {
          if (text === '') return finish({ kind: 'end' });
          continue;
        }
        if (character === '\r' || character === '\n') return finish({ kind: 'line', text });
        // An arrow or function key: its whole sequence arrives in one chunk and means nothing here.
        if (character === ESCAPE) return;
        if (BACKSPACE.has(character)) {
          if (text !== '') {
            text = Array.from(text).slice(0, -1).join('');
            echo('\b \b');
          }
          continue;
        }
        if (character === CTRL_U) {
          echo('\b \b'.repeat(Array.from(text).length));
          text = '';
          continue;
        }
        if (character < ' ') continue;
        text += character;
        echo(character);
      }
    };
    stdin.on('data', onData);
  });
}
