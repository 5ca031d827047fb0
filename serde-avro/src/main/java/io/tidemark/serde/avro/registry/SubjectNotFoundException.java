package io.tidemark.serde.avro.registry;

/** The registry answered that the subject does not exist (error code 40401). */
public class SubjectNotFoundException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** With the HTTP status, the registry's error code and a message. */
  public SubjectNotFoundException(int status, int errorCode, String message, Throwable cause) {
    super(status, errorCode, message, cause);
  }
}
