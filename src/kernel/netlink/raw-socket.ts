/** The part of the package's RawNetlinkSocket this layer uses (a stand-in can be injected in unit tests). */
export interface RawSocketLike {
  send(
    msg: Uint8Array,
    options: Record<string, never>,
    callback: (error?: { errno: number; syscall: string }) => void,
  ): void;
  address(): { port: number };
  ref(): void;
  unref(): void;
  close(): void;
  addMembership(group: number): void;
  on(event: 'message' | 'truncatedMessage', listener: (msg: Buffer) => void): unknown;
  on(event: 'error', listener: (err: { errno: number; syscall: string }) => void): unknown;
}
