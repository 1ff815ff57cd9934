import { runBackend } from '../kit/run-backend';
import { createCrmServer } from './server';

runBackend('crm', 'CRM', 4101, createCrmServer);
