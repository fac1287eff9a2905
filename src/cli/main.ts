// PLACEHOLDER: replaced by the commander program.
console.log('chat-tui');
