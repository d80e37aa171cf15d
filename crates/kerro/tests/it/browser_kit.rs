//! The harness of the browser tests: starting `kerro demo` and chromedriver,
//! a WebDriver session with Debian's Chromium (blocking third-party cookies),
//! a page on another site to embed kerro's forms in, exact viewports,
//! screenshots, and small helpers to read pages, the cookie store, the API and
//! the e-mail outbox.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const ADMIN: &str = "browser-admin-token-0123456789abcdef0123456789";
pub const SAMPLE_EMAIL: &str = "demo0@example.invalid";
/// Another demo subject's address (the demo's subjects are `demoN@example.invalid`).
pub const OTHER_EMAIL: &str = "demo1@example.invalid";

/// The sizes every page is photographed at.
pub const SIZES: [(u32, u32); 2] = [(1280, 800), (390, 844)];

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub struct Kerro {
    pub child: Child,
    pub url: String,
    pub data: tempfile::TempDir,
    pub sample: String,
    pub printed: Arc<Mutex<Vec<String>>>,
}

impl Drop for Kerro {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `kerro demo` on a fresh data directory whose `kerro.toml` is `config_toml`
/// (empty: every default), and waits until it listens.
pub fn start_kerro(config_toml: &str) -> Kerro {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("kerro.toml"), config_toml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kerro"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--subjects",
            "30",
            "--data",
        ])
        .arg(data.path())
        .env("KERRO_ADMIN_TOKEN", ADMIN)
        .env("KERRO_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let printed = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let sink = printed.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    });
    let (mut url, mut sample) = (String::new(), String::new());
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
            break;
        };
        if let Some(u) = line.strip_prefix("listening on ") {
            url = u.trim().to_owned();
        }
        if let Some(i) = line.find("(subject sub_") {
            sample = line[i + 9..].trim_end_matches(')').to_owned();
        }
        if line.contains("admin overview:") {
            break;
        }
    }
    assert!(
        !url.is_empty() && sample.starts_with("sub_"),
        "the demo did not start"
    );
    // The demo sends its campaign to the outbox as it starts: let it finish, so
    // the steps that wait for a sign-in message see only theirs.
    // (On a thread of its own: the blocking client may not run inside the test's runtime.)
    let campaigns = format!("{url}/v1/campaigns");
    let sent = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let sent = reqwest::blocking::Client::new()
                .get(&campaigns)
                .bearer_auth(ADMIN)
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v[0]["state"] == "sent");
            if sent {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    })
    .join()
    .unwrap();
    assert!(sent, "the demo's campaign was not sent");
    Kerro {
        child,
        url,
        data,
        sample,
        printed,
    }
}

pub struct Driver {
    pub child: Child,
    pub url: String,
    pub profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        profile: tempfile::tempdir().unwrap(),
    }
}

/// A page on another site than kerro's: `http://localhost:<port>/` (kerro listens on
/// 127.0.0.1, and a host name and an IP address are different sites).
pub struct OtherSite {
    listener: std::net::TcpListener,
    pub origin: String,
}

impl OtherSite {
    pub fn bind() -> OtherSite {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        OtherSite {
            listener,
            origin: format!("http://localhost:{port}"),
        }
    }

    /// Answers every request with `html`, from a thread per connection (a browser
    /// opens connections it may never use), for as long as the test runs.
    pub fn serve(self, html: String) {
        let html = Arc::new(html);
        std::thread::spawn(move || {
            for stream in self.listener.incoming().map_while(Result::ok) {
                let html = html.clone();
                std::thread::spawn(move || answer_with(stream, &html));
            }
        });
    }
}

fn answer_with(stream: std::net::TcpStream, html: &str) {
    use std::io::Write;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = BufReader::new(&stream);
    let mut line = String::new();
    loop {
        line.clear();
        match head.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line.trim_end().is_empty() => break,
            Ok(_) => {}
        }
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{html}",
        html.len()
    );
    let _ = (&stream).write_all(response.as_bytes());
}

/// A WebDriver session with Chromium, which blocks third-party cookies: the
/// `--test-third-party-cookie-phaseout` switch, and the profile's setting "block
/// third-party cookies" (`cookie_controls_mode` 1) written before it starts.
pub async fn browser(driver: &Driver) -> Client {
    let default = driver.profile.path().join("Default");
    std::fs::create_dir_all(&default).unwrap();
    let prefs = json!({"profile": {"cookie_controls_mode": 1, "block_third_party_cookies": true}});
    std::fs::write(default.join("Preferences"), prefs.to_string()).unwrap();
    let profile = driver.profile.path().display().to_string();
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,800",
                "--test-third-party-cookie-phaseout",
                format!("--user-data-dir={profile}"),
            ],
        },
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session with Chromium")
}

pub fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// chromedriver's address, for the Chrome DevTools commands it passes through.
pub static DRIVER_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Runs a Chrome DevTools command on the current tab (chromedriver passes it through)
/// and returns its result.
pub async fn cdp(c: &Client, cmd: &str, params: Value) -> TestResult<Value> {
    let session = c.session_id().await?.ok_or("no session")?;
    let base = DRIVER_URL.get().ok_or("no driver")?;
    let r = reqwest::Client::new()
        .post(format!("{base}/session/{session}/goog/cdp/execute"))
        .json(&json!({"cmd": cmd, "params": params}))
        .send()
        .await?;
    if !r.status().is_success() {
        return Err(format!("{cmd}: {}", r.text().await?).into());
    }
    let answer: Value = r.json().await?;
    Ok(answer["value"].clone())
}

/// Sets the viewport to exactly `w` x `h` CSS pixels (a window cannot be made narrower
/// than 500 px in headless Chromium, so this uses device-metrics emulation).
pub async fn viewport(c: &Client, w: u32, h: u32) -> TestResult {
    let params = json!({"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600});
    cdp(c, "Emulation.setDeviceMetricsOverride", params)
        .await
        .map_err(|e| format!("viewport {w}x{h}: {e}"))?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(())
}

/// Every cookie the browser holds for `host`, as `name=value`, from its cookie store
/// (Chrome DevTools), whichever page or frame set it.
pub async fn stored_cookies(c: &Client, host: &str) -> TestResult<Vec<String>> {
    let all = cdp(c, "Storage.getCookies", json!({})).await?;
    Ok(all["cookies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|ck| ck["domain"] == host)
        .map(|ck| {
            format!(
                "{}={}",
                ck["name"].as_str().unwrap_or(""),
                ck["value"].as_str().unwrap_or("")
            )
        })
        .collect())
}

/// Photographs the current page at both sizes, then goes back to the desktop size.
/// Also checks that nothing makes the page scroll sideways.
pub async fn shoot(c: &Client, name: &str) -> TestResult {
    for (w, h) in SIZES {
        viewport(c, w, h).await?;
        let wide = js(
            c,
            "const w = document.documentElement.clientWidth; return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-wrap, pre')).map(e => e.tagName + '.' + e.className + '#' + e.id)",
        )
        .await?;
        assert_eq!(wide, json!([]), "{name} at {w}x{h}: wider than the screen");
        let png = c.screenshot().await?;
        std::fs::write(shots_dir().join(format!("{name}-{w}x{h}.png")), png)?;
        // The whole page too, so a person can look at everything below the fold.
        let full = js(c, "return document.documentElement.scrollHeight").await?;
        let full = full
            .as_u64()
            .unwrap_or(u64::from(h))
            .clamp(u64::from(h), 8000) as u32;
        if full > h {
            viewport(c, w, full).await?;
            let png = c.screenshot().await?;
            std::fs::write(shots_dir().join(format!("{name}-{w}x{h}-full.png")), png)?;
        }
    }
    viewport(c, SIZES[0].0, SIZES[0].1).await?;
    Ok(())
}

pub async fn js(c: &Client, script: &str) -> TestResult<Value> {
    Ok(c.execute(script, vec![]).await?)
}

/// Marks the current document, so `wait_path` can tell a new page from the old one.
pub async fn mark(c: &Client) -> TestResult {
    js(c, "window.__kerroOld = true").await?;
    Ok(())
}

/// Waits until a new page (not the one `mark`ed) has loaded in the current browsing
/// context (the window, or the frame entered) and its path ends with `path_end`.
pub async fn wait_path(c: &Client, path_end: &str) -> TestResult {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let v = js(
            c,
            "return [location.href, location.pathname, document.readyState === 'complete' && !window.__kerroOld]",
        )
        .await
        .unwrap_or(Value::Null);
        let path = v[1].as_str().unwrap_or("");
        if path.ends_with(path_end) && v[2] == Value::Bool(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            let window = c.current_url().await?;
            return Err(format!("waited for {path_end}, at {} (window at {window})", v[0]).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Presses one key on the keyboard (WebDriver actions), on whatever has focus.
pub async fn press(c: &Client, key: Key) -> TestResult {
    let k: char = key.into();
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: k })
        .then(KeyAction::Up { value: k });
    c.perform_actions(actions).await?;
    Ok(())
}

/// The focused element shows a visible focus ring (WCAG 2.4.7).
pub async fn focus_visible(c: &Client) -> TestResult {
    let v = js(
        c,
        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth), document.activeElement.tagName];",
    )
    .await?;
    assert!(
        v[0] != "none" && v[1].as_f64().unwrap_or(0.0) >= 2.0,
        "no visible focus on {v}"
    );
    Ok(())
}

/// Clicks; a click that navigates is followed by `wait_path`, which waits for the new page.
pub async fn click(c: &Client, css: &str) -> TestResult {
    mark(c).await?;
    c.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

/// The HTTP status of a same-origin URL, fetched by the page (with its cookies).
pub async fn status_in_browser(c: &Client, href: &str) -> TestResult<u64> {
    let v = c
        .execute_async(
            "const [href, done] = arguments; fetch(href, {credentials: 'same-origin'}).then(r => done(r.status), () => done(0));",
            vec![json!(href)],
        )
        .await?;
    Ok(v.as_u64().unwrap_or(0))
}

/// The status of a URL fetched without this browser's cookies (redirects followed).
pub async fn status_outside(k: &Kerro, href: &str) -> u64 {
    reqwest::Client::new()
        .get(format!("{}{href}", k.url))
        .send()
        .await
        .map(|r| u64::from(r.status().as_u16()))
        .unwrap_or(0)
}

pub async fn fetch_text(c: &Client, href: &str) -> TestResult<String> {
    let v = c
        .execute_async(
            "const [href, done] = arguments; fetch(href, {credentials: 'same-origin'}).then(r => r.text()).then(done, () => done(''));",
            vec![json!(href)],
        )
        .await?;
    Ok(v.as_str().unwrap_or("").to_owned())
}

/// Same-origin link targets on the current page.
pub async fn links(c: &Client) -> TestResult<Vec<String>> {
    let v = js(
        c,
        "return [...document.querySelectorAll('a[href]')].filter(a => a.origin === location.origin).map(a => a.pathname + a.search)",
    )
    .await?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

pub async fn api(k: &Kerro, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", k.url))
        .bearer_auth(ADMIN)
        .header("kerro-access-reason", "browser test")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The messages in the outbox, oldest first.
pub fn outbox(k: &Kerro) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(k.data.path().join("outbox"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files
}

/// Waits (up to 10 s) until the outbox holds at least `n` whole messages, and returns
/// them all, oldest first. Sign-in mail is written by a thread of its own a moment
/// after `POST /login` has answered. A file counts once it is not empty and has kept
/// its size for one poll, since the mailer creates the file before writing it.
pub async fn wait_outbox(k: &Kerro, n: usize) -> TestResult<Vec<PathBuf>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let sized = || -> Vec<(PathBuf, u64)> {
        outbox(k)
            .into_iter()
            .map(|p| {
                let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                (p, len)
            })
            .collect()
    };
    let mut last = sized();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = sized();
        if now.len() >= n && now == last && now.iter().all(|(_, len)| *len > 0) {
            return Ok(now.into_iter().map(|(p, _)| p).collect());
        }
        if Instant::now() > deadline {
            return Err(
                format!("waited for {n} messages in the outbox, {} there", now.len()).into(),
            );
        }
        last = now;
    }
}

/// The messages in `after` that are not in `before`.
pub fn added(before: &[PathBuf], after: &[PathBuf]) -> Vec<PathBuf> {
    after
        .iter()
        .filter(|p| !before.contains(p))
        .cloned()
        .collect()
}

/// The address a message is sent to (its `To:` header).
pub fn recipient(message: &Path) -> String {
    let raw = std::fs::read_to_string(message).unwrap_or_default();
    raw.lines()
        .find_map(|l| l.strip_prefix("To: "))
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// The sign-in link in a message (quoted-printable undone).
pub fn link_in(k: &Kerro, message: &Path) -> String {
    link_after(&format!("{}/login/kml_", k.url), message)
}

/// The e-mail confirmation link in a message (quoted-printable undone).
pub fn confirm_link_in(k: &Kerro, message: &Path) -> String {
    link_after(&format!("{}/confirm-email/kec_", k.url), message)
}

fn link_after(prefix: &str, message: &Path) -> String {
    let raw = std::fs::read_to_string(message).unwrap();
    let text = raw
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("a link {prefix}… in the message"));
    text[start..]
        .chars()
        .take_while(|ch| !ch.is_whitespace())
        .collect()
}
