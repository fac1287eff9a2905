import type { Figure } from './lib/report.js';
export interface TuiBenchContext { runs: number; emit(f: Figure): void; want(name: string): boolean; log(line: string): void }
export async function benchFlood(_c: TuiBenchContext): Promise<void> { throw new Error('not yet'); }
export async function benchScrollback(_c: TuiBenchContext): Promise<void> { throw new Error('not yet'); }
export async function benchRss(_c: TuiBenchContext): Promise<void> { throw new Error('not yet'); }
export async function benchKeypress(_c: TuiBenchContext): Promise<void> { throw new Error('not yet'); }
export async function benchStartup(_c: TuiBenchContext): Promise<void> { throw new Error('not yet'); }
