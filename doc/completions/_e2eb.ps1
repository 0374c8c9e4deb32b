
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'e2eb' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'e2eb'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'e2eb' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Generate a new recovery key (64 hex digits in 16 groups of 4)')
            [CompletionResult]::new('encrypt', 'encrypt', [CompletionResultType]::ParameterValue, 'Encrypt data into a backup')
            [CompletionResult]::new('decrypt', 'decrypt', [CompletionResultType]::ParameterValue, 'Decrypt a backup with a recovery key or a password')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show a backup''s header and sizes; needs no secret')
            [CompletionResult]::new('tune', 'tune', [CompletionResultType]::ParameterValue, 'Find the password KDF setting that takes a target time on this machine')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure this device (ciphers, backup stream, password KDFs) into a benchmark run file')
            [CompletionResult]::new('whatsapp', 'whatsapp', [CompletionResultType]::ParameterValue, 'WhatsApp crypt15 backups: decrypt with the 64-digit key, convert to e2eb, inspect')
            [CompletionResult]::new('vault', 'vault', [CompletionResultType]::ParameterValue, 'The key vault''s account of a backup''s vault slot: check it, or delete it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell''s completion script, e.g. `e2eb completions bash > /etc/bash_completion.d/e2eb`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e2eb;keygen' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the key to FILE (mode 0600) instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the key to FILE (mode 0600) instead of stdout')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace FILE if it exists (the key it holds is lost)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e2eb;encrypt' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where the backup goes; `-`: stdout, which is also the default (but never a terminal)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where the backup goes; `-`: stdout, which is also the default (but never a terminal)')
            [CompletionResult]::new('--recovery-key-file', '--recovery-key-file', [CompletionResultType]::ParameterName, 'Add a slot opened by the recovery key in FILE (see `e2eb keygen`)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Add a slot opened by the password on the first line of FILE')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'KDF of the password slots [default: argon2id]')
            [CompletionResult]::new('--kdf-params', '--kdf-params', [CompletionResultType]::ParameterName, 'KDF parameters: m=65536,t=3,p=4 (argon2id; m in KiB, or m=64MiB) or ln=17,r=8,p=1 (scrypt)')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'Register the password at the key vault at URL and add a vault slot in place of a password slot (https://, or http:// to a loopback address)')
            [CompletionResult]::new('--vault-ca', '--vault-ca', [CompletionResultType]::ParameterName, 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web''s roots')
            [CompletionResult]::new('--suite', '--suite', [CompletionResultType]::ParameterName, 'Cipher suite')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Worker threads that seal or open chunks; 0 means one per CPU. More than the CPUs only slows the run down')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'AEAD implementation; auto: the fastest this build has (aws-lc, then ring, then rustcrypto). Backups are the same bytes whichever runs')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Add a slot opened by a password typed on the terminal (asked twice)')
            [CompletionResult]::new('--accept-weak-kdf', '--accept-weak-kdf', [CompletionResultType]::ParameterName, 'Make the backup even with --kdf-params below OWASP''s minimum: each password guess then costs an attacker who has the backup less, so a weak password falls faster')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace OUT if it exists (it is replaced only once the new one is complete)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress bar')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e2eb;decrypt' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where the decrypted data goes; `-`: stdout. A new file gets mode 0600. Without -o: stdout, unless it is a terminal')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where the decrypted data goes; `-`: stdout. A new file gets mode 0600. Without -o: stdout, unless it is a terminal')
            [CompletionResult]::new('--recovery-key-file', '--recovery-key-file', [CompletionResultType]::ParameterName, 'Open with the recovery key in FILE')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Open with the password on the first line of FILE')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'Open the backup''s vault slot: log in to the key vault at URL with the password')
            [CompletionResult]::new('--vault-ca', '--vault-ca', [CompletionResultType]::ParameterName, 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web''s roots')
            [CompletionResult]::new('--max-kdf-memory', '--max-kdf-memory', [CompletionResultType]::ParameterName, 'Most memory one KDF run may take, e.g. 512MiB, 8GiB')
            [CompletionResult]::new('--max-argon2-t', '--max-argon2-t', [CompletionResultType]::ParameterName, 'Most argon2id passes (t)')
            [CompletionResult]::new('--max-argon2-p', '--max-argon2-p', [CompletionResultType]::ParameterName, 'Most argon2id lanes (p)')
            [CompletionResult]::new('--max-scrypt-log-n', '--max-scrypt-log-n', [CompletionResultType]::ParameterName, 'Largest scrypt log2 N')
            [CompletionResult]::new('--max-scrypt-r', '--max-scrypt-r', [CompletionResultType]::ParameterName, 'Largest scrypt block size r')
            [CompletionResult]::new('--max-scrypt-p', '--max-scrypt-p', [CompletionResultType]::ParameterName, 'Largest scrypt parallelism p')
            [CompletionResult]::new('--max-kdf-work', '--max-kdf-work', [CompletionResultType]::ParameterName, 'Most work one KDF run may ask, memory × passes, e.g. 16GiB')
            [CompletionResult]::new('--max-backup-kdf-work', '--max-backup-kdf-work', [CompletionResultType]::ParameterName, 'Most work all the password slots of the backup may ask together, e.g. 32GiB')
            [CompletionResult]::new('--max-password-slots', '--max-password-slots', [CompletionResultType]::ParameterName, 'Most password slots (distinct KDF runs) a backup may ask to try')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Worker threads that seal or open chunks; 0 means one per CPU. More than the CPUs only slows the run down')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'AEAD implementation; auto: the fastest this build has (aws-lc, then ring, then rustcrypto). Backups are the same bytes whichever runs')
            [CompletionResult]::new('--recovery-key', '--recovery-key', [CompletionResultType]::ParameterName, 'Open with a recovery key typed on the terminal')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Open with a password typed on the terminal')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace OUT if it exists (it is replaced only once the new one is complete)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress bar')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e2eb;inspect' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object instead of text (fields: see --help)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'e2eb;tune' {
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'KDF to tune')
            [CompletionResult]::new('--target-ms', '--target-ms', [CompletionResultType]::ParameterName, 'Wall time one derivation should take, in milliseconds')
            [CompletionResult]::new('--max-memory', '--max-memory', [CompletionResultType]::ParameterName, 'Most memory a setting may use, e.g. 512MiB, 1GiB [default: the smaller of 1 GiB and half of the available memory]')
            [CompletionResult]::new('--lanes', '--lanes', [CompletionResultType]::ParameterName, 'Argon2id lanes (p), the threads one derivation runs on, written into the backup''s key slot [default: the CPUs, at most 4]')
            [CompletionResult]::new('--usd-per-gpu-hour', '--usd-per-gpu-hour', [CompletionResultType]::ParameterName, 'Rental price of the attacker''s GPU in US dollars per hour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object instead of text (fields: see --help)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'e2eb;bench' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'How much to measure: tiny takes seconds (a smoke test), quick a few minutes on two cores, full longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the run file to FILE')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the run file to FILE')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The host''s name in reports/ (lower-case letters, digits and dashes) [default: derived from the CPU model, threads and memory]')
            [CompletionResult]::new('--note', '--note', [CompletionResultType]::ParameterName, 'A note to record with the run, e.g. how a device was simulated (repeatable)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace FILE if it exists (it is replaced only once the new one is complete)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'e2eb;whatsapp' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('decrypt', 'decrypt', [CompletionResultType]::ParameterValue, 'Decrypt a crypt15 backup (e.g. msgstore.db.crypt15) into the database it holds')
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Turn a crypt15 backup into an e2eb backup, streaming: no plaintext reaches the disk')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show a crypt15 backup''s prefix, sizes and MD5 trailer; needs no key')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e2eb;whatsapp;decrypt' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where the database goes; `-`: stdout. A new file gets mode 0600')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where the database goes; `-`: stdout. A new file gets mode 0600')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key: encrypted_backup.key, or a text file with the 64-digit key')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace OUT if it exists (it is replaced only once the new one is complete)')
            [CompletionResult]::new('--unverified-stream', '--unverified-stream', [CompletionResultType]::ParameterName, 'When OUT is a stream (stdout, a pipe): send data into it as it is decrypted, before the backup''s only authentication tag (at its end) is checked, instead of holding it back until then. RISK: a tampered backup then delivers attacker-chosen data (in a ZIP archive: chosen file names, such as ../../.ssh/authorized_keys) to the reader of the stream before e2eb reports the damage. Only for a consumer that discards everything when e2eb exits non-zero')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress bar')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e2eb;whatsapp;convert' {
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The crypt15 key: encrypted_backup.key, or a text file with the 64-digit key')
            [CompletionResult]::new('--recovery-key-file', '--recovery-key-file', [CompletionResultType]::ParameterName, 'Add a slot opened by the recovery key in FILE (see `e2eb keygen`)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Add a slot opened by the password on the first line of FILE')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'KDF of the password slots [default: argon2id]')
            [CompletionResult]::new('--kdf-params', '--kdf-params', [CompletionResultType]::ParameterName, 'KDF parameters: m=65536,t=3,p=4 (argon2id; m in KiB, or m=64MiB) or ln=17,r=8,p=1 (scrypt)')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'Register the password at the key vault at URL and add a vault slot in place of a password slot (https://, or http:// to a loopback address)')
            [CompletionResult]::new('--vault-ca', '--vault-ca', [CompletionResultType]::ParameterName, 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web''s roots')
            [CompletionResult]::new('--suite', '--suite', [CompletionResultType]::ParameterName, 'Cipher suite')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Worker threads that seal or open chunks; 0 means one per CPU. More than the CPUs only slows the run down')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'AEAD implementation; auto: the fastest this build has (aws-lc, then ring, then rustcrypto). Backups are the same bytes whichever runs')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where the e2eb backup goes; `-`: stdout (never a terminal)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where the e2eb backup goes; `-`: stdout (never a terminal)')
            [CompletionResult]::new('--unverified-stream', '--unverified-stream', [CompletionResultType]::ParameterName, 'When OUT is a stream (stdout, a pipe): send data into it as it is decrypted, before the backup''s only authentication tag (at its end) is checked, instead of holding it back until then. RISK: a tampered backup then delivers attacker-chosen data (in a ZIP archive: chosen file names, such as ../../.ssh/authorized_keys) to the reader of the stream before e2eb reports the damage. Only for a consumer that discards everything when e2eb exits non-zero')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Add a slot opened by a password typed on the terminal (asked twice)')
            [CompletionResult]::new('--accept-weak-kdf', '--accept-weak-kdf', [CompletionResultType]::ParameterName, 'Make the backup even with --kdf-params below OWASP''s minimum: each password guess then costs an attacker who has the backup less, so a weak password falls faster')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace OUT if it exists (it is replaced only once the new one is complete)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress bar')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e2eb;whatsapp;inspect' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e2eb;whatsapp;help' {
            [CompletionResult]::new('decrypt', 'decrypt', [CompletionResultType]::ParameterValue, 'Decrypt a crypt15 backup (e.g. msgstore.db.crypt15) into the database it holds')
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Turn a crypt15 backup into an e2eb backup, streaming: no plaintext reaches the disk')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show a crypt15 backup''s prefix, sizes and MD5 trailer; needs no key')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e2eb;whatsapp;help;decrypt' {
            break
        }
        'e2eb;whatsapp;help;convert' {
            break
        }
        'e2eb;whatsapp;help;inspect' {
            break
        }
        'e2eb;whatsapp;help;help' {
            break
        }
        'e2eb;vault' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Log in to the vault of a backup''s vault slot and show its attempts (a correct password resets them; a wrong one costs one)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Log in and delete the account of a backup''s vault slot: the vault slot then never opens again, and only the backup''s other slots do')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e2eb;vault;status' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The key vault''s URL (https://, or http:// to a loopback address)')
            [CompletionResult]::new('--vault-ca', '--vault-ca', [CompletionResultType]::ParameterName, 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web''s roots')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'The account''s password, on the first line of FILE')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'The account''s password, typed on the terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e2eb;vault;delete' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The key vault''s URL (https://, or http:// to a loopback address)')
            [CompletionResult]::new('--vault-ca', '--vault-ca', [CompletionResultType]::ParameterName, 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web''s roots')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'The account''s password, on the first line of FILE')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'The account''s password, typed on the terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e2eb;vault;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Log in to the vault of a backup''s vault slot and show its attempts (a correct password resets them; a wrong one costs one)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Log in and delete the account of a backup''s vault slot: the vault slot then never opens again, and only the backup''s other slots do')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e2eb;vault;help;status' {
            break
        }
        'e2eb;vault;help;delete' {
            break
        }
        'e2eb;vault;help;help' {
            break
        }
        'e2eb;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e2eb;help' {
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Generate a new recovery key (64 hex digits in 16 groups of 4)')
            [CompletionResult]::new('encrypt', 'encrypt', [CompletionResultType]::ParameterValue, 'Encrypt data into a backup')
            [CompletionResult]::new('decrypt', 'decrypt', [CompletionResultType]::ParameterValue, 'Decrypt a backup with a recovery key or a password')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show a backup''s header and sizes; needs no secret')
            [CompletionResult]::new('tune', 'tune', [CompletionResultType]::ParameterValue, 'Find the password KDF setting that takes a target time on this machine')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure this device (ciphers, backup stream, password KDFs) into a benchmark run file')
            [CompletionResult]::new('whatsapp', 'whatsapp', [CompletionResultType]::ParameterValue, 'WhatsApp crypt15 backups: decrypt with the 64-digit key, convert to e2eb, inspect')
            [CompletionResult]::new('vault', 'vault', [CompletionResultType]::ParameterValue, 'The key vault''s account of a backup''s vault slot: check it, or delete it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell''s completion script, e.g. `e2eb completions bash > /etc/bash_completion.d/e2eb`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e2eb;help;keygen' {
            break
        }
        'e2eb;help;encrypt' {
            break
        }
        'e2eb;help;decrypt' {
            break
        }
        'e2eb;help;inspect' {
            break
        }
        'e2eb;help;tune' {
            break
        }
        'e2eb;help;bench' {
            break
        }
        'e2eb;help;whatsapp' {
            [CompletionResult]::new('decrypt', 'decrypt', [CompletionResultType]::ParameterValue, 'Decrypt a crypt15 backup (e.g. msgstore.db.crypt15) into the database it holds')
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Turn a crypt15 backup into an e2eb backup, streaming: no plaintext reaches the disk')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show a crypt15 backup''s prefix, sizes and MD5 trailer; needs no key')
            break
        }
        'e2eb;help;whatsapp;decrypt' {
            break
        }
        'e2eb;help;whatsapp;convert' {
            break
        }
        'e2eb;help;whatsapp;inspect' {
            break
        }
        'e2eb;help;vault' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Log in to the vault of a backup''s vault slot and show its attempts (a correct password resets them; a wrong one costs one)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Log in and delete the account of a backup''s vault slot: the vault slot then never opens again, and only the backup''s other slots do')
            break
        }
        'e2eb;help;vault;status' {
            break
        }
        'e2eb;help;vault;delete' {
            break
        }
        'e2eb;help;completions' {
            break
        }
        'e2eb;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
