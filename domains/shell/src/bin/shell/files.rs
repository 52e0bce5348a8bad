//! The shell's file commands, on the card's first FAT partition through
//! the block service (`vesper_files`; the manifest gives the shell
//! `services = ["console", "block"]`). Names are FAT's short 8.3 names.

use core::ops::ControlFlow;
use embedded_sdmmc::{Mode, VolumeIdx};
use heapless::Vec;
use vesper_activations::println;
use vesper_files::Files;

/// The longest line `cat` prints in one piece.
const LINE: usize = 120;

/// The card, mounted at the first file command.
#[derive(Default)]
pub struct Card {
    files: Option<Files>,
    /// Mounting found no block service: not tried again.
    absent: bool,
}

impl Card {
    /// The mounted card, mounting it the first time; `None` (said to the
    /// user) without a block service.
    fn files(&mut self, command: &str) -> Option<&Files> {
        if self.files.is_none() && !self.absent {
            self.files = vesper_files::mount();
            self.absent = self.files.is_none();
        }
        if self.absent {
            println!("{command}: this shell has no block service (services = [\"block\"])");
        }
        self.files.as_ref()
    }

    /// `ls`: the root folder, one entry a line: name, size, `<dir>` for a
    /// folder.
    pub fn ls(&mut self) {
        let Some(files) = self.files("ls") else { return };
        let listed = files.open_volume(VolumeIdx(0)).and_then(|volume| {
            let root = volume.open_root_dir()?;
            root.iterate_dir(|entry| {
                if entry.attributes.is_directory() {
                    println!("{:<12} <dir>", entry.name);
                } else if !entry.attributes.is_volume() {
                    println!("{:<12} {}", entry.name, entry.size);
                }
                ControlFlow::Continue(())
            })
        });
        if let Err(error) = listed {
            println!("ls: {error:?}");
        }
    }

    /// `cat NAME`: the file's text, line by line.
    pub fn cat(&mut self, name: &str) {
        let Some(files) = self.files("cat") else { return };
        let shown = files.open_volume(VolumeIdx(0)).and_then(|volume| {
            let root = volume.open_root_dir()?;
            let file = root.open_file_in_dir(name, Mode::ReadOnly)?;
            let mut line: Vec<u8, LINE> = Vec::new();
            let mut buf = [0u8; 64];
            while !file.is_eof() {
                let n = file.read(&mut buf)?;
                for &byte in &buf[..n] {
                    if byte == b'\n' || line.push(byte).is_err() {
                        print_text(&line);
                        line.clear();
                        if byte != b'\n' {
                            let _ = line.push(byte);
                        }
                    }
                }
            }
            if !line.is_empty() {
                print_text(&line);
            }
            Ok(())
        });
        if let Err(error) = shown {
            println!("cat: {name}: {error:?}");
        }
    }

    /// `write NAME TEXT`: the file holds TEXT and a newline (created, or
    /// its old contents replaced).
    pub fn write(&mut self, name: &str, text: &str) {
        let Some(files) = self.files("write") else { return };
        let written = files.open_volume(VolumeIdx(0)).and_then(|volume| {
            let root = volume.open_root_dir()?;
            let file = root.open_file_in_dir(name, Mode::ReadWriteCreateOrTruncate)?;
            file.write(text.as_bytes())?;
            file.write(b"\n")?;
            file.close()
        });
        match written {
            Ok(()) => println!("write: {name}: {} bytes", text.len() + 1),
            Err(error) => println!("write: {name}: {error:?}"),
        }
    }
}

/// One line of a file; the console shows bytes that are not text as `?`.
fn print_text(line: &[u8]) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match core::str::from_utf8(line) {
        Ok(text) => println!("{text}"),
        Err(_) => println!("{}", Lossy(line)),
    }
}

/// Bytes shown as text, `?` for each that is not ASCII.
struct Lossy<'a>(&'a [u8]);

impl core::fmt::Display for Lossy<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for &byte in self.0 {
            let c = if byte.is_ascii() { byte as char } else { '?' };
            core::fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}
