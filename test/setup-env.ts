// Tests assert on behaviour, not log output: keep services quiet unless a developer asks for logs.
process.env.LOG_LEVEL ??= 'silent';
// Tickets change only when a test changes them (the helpdesk's agents would otherwise work them every minute).
process.env.HELPDESK_ACTIVITY_PACE ??= 'off';
