import { runBackend } from '../kit/run-backend';
import { createErpServer } from './server';

runBackend('erp', 'ERP', 4103, createErpServer);
