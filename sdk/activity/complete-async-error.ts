/** Thrown by an activity that will be completed later, by its task token, from elsewhere. */
export class CompleteAsyncError extends Error {
  override readonly name = 'CompleteAsyncError';
  constructor() {
    super('Activity will complete asynchronously');
  }
}
