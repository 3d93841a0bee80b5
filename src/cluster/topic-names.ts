// Kafka's topic-name rules (org.apache.kafka.common.internals.Topic).
export const TOPIC_NAME_LENGTH_MAX = 249
export const GROUP_METADATA_TOPIC = '__consumer_offsets'
export const TRANSACTION_STATE_TOPIC = '__transaction_state'
const LEGAL = /^[a-zA-Z0-9._-]+$/

/** Returns why the name is illegal, or null when it is legal. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty'
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."'
  if (name.length > TOPIC_NAME_LENGTH_MAX) {
    return `Topic name is illegal, it can't be longer than ${TOPIC_NAME_LENGTH_MAX} characters, topic name: ${name}`
  }
  if (!LEGAL.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`
  }
  return null
}

export function isInternalTopic(name: string): boolean {
  return name === GROUP_METADATA_TOPIC || name === TRANSACTION_STATE_TOPIC
}

/** '.' and '_' collide in metric names, so Kafka refuses topics differing only by them. */
export function unifyCollisionChars(name: string): string {
  return name.replace(/\./g, '_')
}
