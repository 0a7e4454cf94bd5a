// Nx runs tasks with FORCE_COLOR set (for its own output); the CLI honours it, so tests that check
// plain text would see colours. Each test that wants colour sets FORCE_COLOR itself.
delete process.env.FORCE_COLOR;
