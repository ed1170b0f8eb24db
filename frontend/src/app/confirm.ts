import { useConfirm } from 'primevue/useconfirm';

/** A confirmation dialog for destructive actions; resolves true when the user confirms. */
export function useConfirmDanger() {
  const confirm = useConfirm();
  return (opts: { header: string; message: string; accept?: string }): Promise<boolean> =>
    new Promise((resolve) => {
      confirm.require({
        header: opts.header,
        message: opts.message,
        icon: 'pi pi-exclamation-triangle',
        rejectProps: { label: 'Cancel', severity: 'secondary', outlined: true },
        acceptProps: { label: opts.accept ?? 'Delete', severity: 'danger' },
        accept: () => resolve(true),
        reject: () => resolve(false),
        onHide: () => resolve(false),
      });
    });
}
