//! A FAT or exFAT image mounted by a test, where the machine permits: a filesystem that can
//! hold no link (`links-unsupported`) and that matches names without regard to case.

use std::path::{Path, PathBuf};
use std::process::{Command as Std, Stdio};

use super::mkdir;

/// A filesystem image mounted by the test; unmounted (and its loop device freed) on drop.
pub struct Stick {
    pub mnt: PathBuf,
    loopdev: Option<String>,
}

impl Drop for Stick {
    fn drop(&mut self) {
        let _ = Std::new("umount").arg(&self.mnt).status();
        if let Some(dev) = &self.loopdev {
            let _ = Std::new("losetup").arg("-d").arg(dev).status();
        }
    }
}

fn quiet(cmd: &mut Std) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Mounts a fresh FAT or exFAT image at `<dir>/stick`: the kernel's vfat or exfat where it has
/// them, else exFAT through FUSE (exfat-fuse). `None` (with a printed reason) when the machine
/// permits none of them.
pub fn mount_stick(dir: &Path) -> Option<Stick> {
    if cfg!(not(unix)) {
        eprintln!("SKIPPED: FAT/exFAT images are mounted with losetup and FUSE, on Unix only");
        return None;
    }
    let img = dir.join("stick.img");
    let mnt = dir.join("stick");
    mkdir(&mnt);
    if !quiet(Std::new("truncate").arg("-s").arg("32M").arg(&img)) {
        eprintln!("SKIPPED: cannot make an image file");
        return None;
    }
    for (mkfs, fstype) in [("mkfs.vfat", "vfat"), ("mkfs.exfat", "exfat")] {
        if quiet(Std::new(mkfs).arg(&img))
            && quiet(Std::new("mount").args(["-t", fstype, "-o", "loop"]).arg(&img).arg(&mnt))
        {
            return Some(Stick { mnt, loopdev: None });
        }
    }
    if !quiet(Std::new("mkfs.exfat").arg(&img)) {
        eprintln!("SKIPPED: no mkfs.vfat / mkfs.exfat (dosfstools, exfatprogs)");
        return None;
    }
    let out = Std::new("losetup").args(["-f", "--show"]).arg(&img).stderr(Stdio::null()).output().ok()?;
    let dev = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || dev.is_empty() {
        eprintln!("SKIPPED: no loop device (losetup refused)");
        return None;
    }
    let stick = Stick { mnt: mnt.clone(), loopdev: Some(dev.clone()) };
    if !quiet(Std::new("mount.exfat-fuse").arg(&dev).arg(&mnt)) {
        eprintln!("SKIPPED: neither the kernel's vfat/exfat nor exfat-fuse can mount here");
        return None;
    }
    Some(stick)
}
