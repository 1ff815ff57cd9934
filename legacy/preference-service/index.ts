import { runBackend } from '../kit/run-backend';
import { createPreferenceServer } from './server';

runBackend('preference-service', 'PREFERENCE_SERVICE', 4102, createPreferenceServer);
