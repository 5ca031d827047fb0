package io.tidemark.serde.avro.registry;

/**
 * TLS with the registry failed: the client does not trust the registry's certificate, or the
 * registry demands a client certificate that this client did not present or that it does not
 * trust. Not retried: the same handshake fails the same way until the configuration changes.
 */
public class RegistryTlsException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** With a message that names what to check, and the TLS failure as the cause. */
  public RegistryTlsException(String message, Throwable cause) {
    super(0, 0, message, cause);
  }
}
