//! An execution refused on a medium: its journal record, with the hash of the program.

use std::fs::File;

use super::{Then, Worker};
use crate::register::hash::Content;
use crate::register::jobs::Exec;
use crate::register::records;

impl Worker {
    pub(super) fn exec(&mut self, mut x: Exec) {
        let medium = self
            .table
            .read()
            .ok()
            .and_then(|t| t.get(&x.dev).map(|m| m.medium.clone()));
        match x.file.take() {
            Some(fd) => {
                let dev = x.dev;
                self.hash(dev, File::from(fd), true, Then::Exec(Box::new(x), medium));
            }
            None => self.record_exec(x, medium, None),
        }
    }

    /// An exec refusal's record, with the hash of the file refused when there was one.
    pub(super) fn record_exec(
        &mut self,
        x: Exec,
        medium: Option<crate::register::Medium>,
        content: Option<Result<Content, String>>,
    ) {
        let record = records::exec(
            &x.path,
            &x.who,
            x.layer,
            x.dev,
            medium.as_ref(),
            content.as_ref(),
        );
        if let Err(err) = self.sink.send(&record) {
            tracing::error!(error = %err, "could not write an exec refusal record");
        }
        // Never wait for the service: the journal record is the audit trail, this the list.
        let _ = self
            .refusals
            .try_send(records::exec_violation(&x.path, &x.who, x.dev, x.at_us));
    }
}
