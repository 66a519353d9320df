/**
 * The new-order sound: two short tones made with Web Audio (no sound file to
 * ship). Browsers only allow audio after a user gesture, so the console asks
 * for a click to turn sound on and remembers the choice.
 */
let context: AudioContext | null = null;

export function soundEnabledByUser(): boolean {
  try {
    return window.localStorage.getItem('dp.merchant.sound') !== 'off';
  } catch {
    return true;
  }
}

export function rememberSound(on: boolean): void {
  try {
    window.localStorage.setItem('dp.merchant.sound', on ? 'on' : 'off');
  } catch {
    // Not remembered.
  }
}

/** Must run inside a click handler the first time (autoplay policy). */
export async function unlockAudio(): Promise<boolean> {
  try {
    context ??= new AudioContext();
    if (context.state === 'suspended') await context.resume();
    return context.state === 'running';
  } catch {
    return false;
  }
}

export function audioReady(): boolean {
  return context?.state === 'running';
}

export function playChime(): void {
  if (!context || context.state !== 'running') return;
  const now = context.currentTime;
  for (const [i, freq] of [880, 1320].entries()) {
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    const t = now + i * 0.18;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
    osc.connect(gain).connect(context.destination);
    osc.start(t);
    osc.stop(t + 0.18);
  }
}
