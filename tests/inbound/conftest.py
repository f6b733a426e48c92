from tests.support.mail_servers import dovecot, imap_mailbox  # noqa: F401 - fixtures
