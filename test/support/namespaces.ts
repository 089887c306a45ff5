/** The suite's second namespace, for tests of namespace-wide state such as the kill switch. */
export const ISOLATED_NAMESPACE = 'riposte-isolated';
/** The circuit breaker is namespace-wide too, and its test trips it on purpose. */
export const BREAKER_NAMESPACE = 'riposte-breaker';
