import { afterEach } from 'vitest';
import { setApiClient } from '@/app/api';

afterEach(() => {
  setApiClient(null);
  localStorage.clear();
});
