//! What the command line asks a person at the terminal for (a script pipes it in instead).

use std::io::{BufRead, IsTerminal};

use super::Failure;

/// Reads a PIN: twice without echo on a terminal, else one line from stdin (for scripts).
pub fn read_pin(what: &str) -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("{what} PIN: "))
            .map_err(|e| Failure::bad_input(e.to_string()))?;
        let second = rpassword::prompt_password("again: ").map_err(|e| Failure::bad_input(e.to_string()))?;
        if first != second {
            return Err(Failure::bad_input("the two PINs differ"));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| Failure::bad_input(e.to_string()))?;
        Ok(line.trim().to_string())
    }
}
