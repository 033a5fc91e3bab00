// Chooses the notification store: durable under a state directory, or in memory without one.

import { MemoryNoteStore } from "./memory-store.ts";
import type { NoteStore } from "./notes.ts";

export async function openNoteStore(stateDir: string | undefined): Promise<NoteStore> {
  if (stateDir === undefined || stateDir === "") return new MemoryNoteStore();
  const { FileNoteStore } = await import("./file-store.ts");
  return FileNoteStore.open(stateDir);
}
