/** Slash commands: one file per command, listed by registry.ts. */
export { COMMANDS, commandAvailable, commandHelpLines, completeCommand, findCommand, parseInput } from './registry.js';
export type { CommandCaps, ParsedInput } from './registry.js';
export { pickMessageToDelete } from './delete.js';
export type { CommandArgs, CommandContext, SlashCommand } from './types.js';
