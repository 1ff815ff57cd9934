// Tests assert on behaviour, not log output: keep services quiet unless a developer asks for logs.
process.env.LOG_LEVEL ??= 'silent';
