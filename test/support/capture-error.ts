/** Awaits `promise` and returns what it rejected with, failing if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, but it resolved");
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
