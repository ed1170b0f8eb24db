import { defineStore } from 'pinia';
import { ref } from 'vue';

/** UI state of the app shell: the page's dynamic crumb and the sidebar on narrow screens. */
export const useShellStore = defineStore('shell', () => {
  /** Label of the current page's last crumb when it is data (an artifact's name). */
  const crumb = ref<string | null>(null);
  const sidebarOpen = ref(false);
  return { crumb, sidebarOpen };
});
