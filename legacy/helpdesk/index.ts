import { runBackend } from '../kit/run-backend';
import { createHelpdeskServer } from './server';

runBackend('helpdesk', 'HELPDESK', 4104, createHelpdeskServer);
