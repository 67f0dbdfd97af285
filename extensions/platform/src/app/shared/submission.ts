import { ref } from 'vue';

// What the server answered, in its own words: Directus's error messages (the database's 403
// sentences, a 400's reason) as they came, else the transport's error.
export function refusal(err: unknown): string {
  const response = (err as { response?: { data?: { errors?: Array<{ message?: string }> } } }).response;
  const messages = (response?.data?.errors ?? []).map((error) => error.message).filter((message): message is string => Boolean(message));
  if (messages.length > 0) return messages.join(' ');
  return err instanceof Error ? err.message : String(err);
}

// A form's request: whether it is under way, and then the answer or the refusal, never both.
export function useSubmission<T>() {
  const sending = ref(false);
  const answer = ref<T | null>(null);
  const refused = ref<string | null>(null);
  async function submit(request: () => Promise<T>): Promise<boolean> {
    sending.value = true;
    answer.value = null;
    refused.value = null;
    try {
      answer.value = await request();
      return true;
    } catch (err) {
      refused.value = refusal(err);
      return false;
    } finally {
      sending.value = false;
    }
  }
  return { sending, answer, refused, submit };
}
