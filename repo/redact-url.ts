/** A repo or database URL without its user-info part: credentials stay out of messages, history and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
