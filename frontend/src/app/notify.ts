import { useToast } from 'primevue/usetoast';
import { describeError, isAbort } from './errors';

/** Toasts for results and errors; errors carry the API's message and request id. */
export function useNotify() {
  const toast = useToast();
  return {
    success(summary: string, detail?: string) {
      toast.add({ severity: 'success', summary, detail, life: 3500 });
    },
    info(summary: string, detail?: string) {
      toast.add({ severity: 'info', summary, detail, life: 3500 });
    },
    error(e: unknown, summary?: string) {
      if (isAbort(e)) return;
      const v = describeError(e, summary);
      const detail = v.requestId ? `${v.detail}\nRequest ID: ${v.requestId}` : v.detail;
      toast.add({ severity: 'error', summary: v.summary, detail, life: 8000 });
    },
  };
}
