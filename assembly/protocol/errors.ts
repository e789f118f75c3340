// The Kafka error codes the filter answers with or reports (org.apache.kafka.common.protocol.Errors).

export const NONE: i16 = 0;
export const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
export const MESSAGE_TOO_LARGE: i16 = 10;
export const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;
export const INVALID_TOPIC_EXCEPTION: i16 = 17;
export const INVALID_REQUIRED_ACKS: i16 = 21;
export const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
export const GROUP_AUTHORIZATION_FAILED: i16 = 30;
export const CLUSTER_AUTHORIZATION_FAILED: i16 = 31;
export const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
export const ILLEGAL_SASL_STATE: i16 = 34;
export const UNSUPPORTED_VERSION: i16 = 35;
export const SASL_AUTHENTICATION_FAILED: i16 = 58;
export const INVALID_PARTITIONS: i16 = 37;
export const INVALID_REPLICATION_FACTOR: i16 = 38;
export const INVALID_REQUEST: i16 = 42;
export const FETCH_SESSION_ID_NOT_FOUND: i16 = 70;
export const POLICY_VIOLATION: i16 = 44;
export const TRANSACTIONAL_ID_AUTHORIZATION_FAILED: i16 = 53;
export const SECURITY_DISABLED: i16 = 54;
export const DELEGATION_TOKEN_AUTHORIZATION_FAILED: i16 = 65;
export const UNSUPPORTED_COMPRESSION_TYPE: i16 = 76;
export const INVALID_RECORD: i16 = 87;
export const UNKNOWN_TOPIC_ID: i16 = 100;
export const SHARE_SESSION_NOT_FOUND: i16 = 122;
export const SHARE_SESSION_LIMIT_REACHED: i16 = 133;
export const OPERATION_NOT_ATTEMPTED: i16 = 55;
/** Fatal to a Streams client, which reports the message. */
export const STREAMS_INVALID_TOPOLOGY: i16 = 130;
export const GROUP_ID_NOT_FOUND: i16 = 69;

/** Kafka's name for an error code, lower-case (for logs and stat names). */
export function errorName(code: i16): string {
  switch (code) {
    case NONE: return "none";
    case UNKNOWN_TOPIC_OR_PARTITION: return "unknown_topic_or_partition";
    case MESSAGE_TOO_LARGE: return "message_too_large";
    case COORDINATOR_LOAD_IN_PROGRESS: return "coordinator_load_in_progress";
    case INVALID_TOPIC_EXCEPTION: return "invalid_topic_exception";
    case INVALID_REQUIRED_ACKS: return "invalid_required_acks";
    case TOPIC_AUTHORIZATION_FAILED: return "topic_authorization_failed";
    case GROUP_AUTHORIZATION_FAILED: return "group_authorization_failed";
    case CLUSTER_AUTHORIZATION_FAILED: return "cluster_authorization_failed";
    case UNSUPPORTED_SASL_MECHANISM: return "unsupported_sasl_mechanism";
    case ILLEGAL_SASL_STATE: return "illegal_sasl_state";
    case UNSUPPORTED_VERSION: return "unsupported_version";
    case SASL_AUTHENTICATION_FAILED: return "sasl_authentication_failed";
    case INVALID_PARTITIONS: return "invalid_partitions";
    case INVALID_REPLICATION_FACTOR: return "invalid_replication_factor";
    case INVALID_REQUEST: return "invalid_request";
    case FETCH_SESSION_ID_NOT_FOUND: return "fetch_session_id_not_found";
    case SHARE_SESSION_NOT_FOUND: return "share_session_not_found";
    case SHARE_SESSION_LIMIT_REACHED: return "share_session_limit_reached";
    case POLICY_VIOLATION: return "policy_violation";
    case TRANSACTIONAL_ID_AUTHORIZATION_FAILED: return "transactional_id_authorization_failed";
    case SECURITY_DISABLED: return "security_disabled";
    case DELEGATION_TOKEN_AUTHORIZATION_FAILED: return "delegation_token_authorization_failed";
    case UNSUPPORTED_COMPRESSION_TYPE: return "unsupported_compression_type";
    case INVALID_RECORD: return "invalid_record";
    case UNKNOWN_TOPIC_ID: return "unknown_topic_id";
    case OPERATION_NOT_ATTEMPTED: return "operation_not_attempted";
    case STREAMS_INVALID_TOPOLOGY: return "streams_invalid_topology";
    default: return "error_" + code.toString();
  }
}

/** The default message of Kafka's Errors entry, as an ApiError without a message carries it. */
export function errorMessage(code: i16): string | null {
  switch (code) {
    case TOPIC_AUTHORIZATION_FAILED: return "Topic authorization failed.";
    case GROUP_AUTHORIZATION_FAILED: return "Group authorization failed.";
    case CLUSTER_AUTHORIZATION_FAILED: return "Cluster authorization failed.";
    case TRANSACTIONAL_ID_AUTHORIZATION_FAILED: return "Transactional Id authorization failed.";
    case SECURITY_DISABLED: return "Security features are disabled.";
    case DELEGATION_TOKEN_AUTHORIZATION_FAILED: return "Delegation Token authorization failed.";
    case UNKNOWN_TOPIC_ID: return "This server does not host this topic ID.";
    case SHARE_SESSION_NOT_FOUND: return "The share session was not found.";
    case SHARE_SESSION_LIMIT_REACHED: return "The limit of share sessions has been reached.";
    default: return null;
  }
}
