"""The portal as a partner uses it, in a real browser (headless Chromium
through chromedriver and Selenium): sign in, upload a broken return, read
its findings, see it listed; a second partner cannot see it.

Run by the Swift test PortalBrowserTests against a live llr-serve:
    python3 portal_e2e.py BASE_URL FILE LCC_PASSWORD UHL_PASSWORD [SCREENSHOT_DIR]
Prints one line per step; exits non-zero at the first step that fails.
"""
import sys
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,900", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def step(text):
    print(text, flush=True)


def sign_in(driver, base, name, password):
    driver.get(base + "/sign-in")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button").click()
    WebDriverWait(driver, 10).until(ec.url_contains("/returns"))


def main():
    base, path, lcc_password, uhl_password = sys.argv[1:5]
    shots = sys.argv[5] if len(sys.argv) > 5 else None
    name = path.rsplit("/", 1)[-1]
    driver = browser()
    try:
        sign_in(driver, base, "lcc", lcc_password)
        step("signed in as lcc")
        driver.get(base + "/upload")
        driver.find_element(By.ID, "file").send_keys(path)
        driver.find_element(By.CSS_SELECTOR, "#upload button").click()
        result = WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "result").text.strip() or None)
        assert result.startswith("Received"), result
        assert "row " in result, "the findings are listed with their rows: " + result
        step("uploaded " + name + ": " + result.splitlines()[0])
        if shots:
            driver.save_screenshot(shots + "/portal-upload.png")
        driver.find_element(By.LINK_TEXT, "The full report").click()
        WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.TAG_NAME, "table")))
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "error" in body.lower() and name in body, body[:300]
        step("read the report: " + body.splitlines()[0])
        if shots:
            driver.save_screenshot(shots + "/portal-report.png")
        driver.get(base + "/returns")
        listed = driver.find_element(By.TAG_NAME, "main").text
        assert name in listed, listed
        step("listed on the returns page")
        driver.delete_all_cookies()
        sign_in(driver, base, "uhl", uhl_password)
        listed = driver.find_element(By.TAG_NAME, "main").text
        assert name not in listed, "another partner sees the file"
        driver.get(base + "/returns/" + urllib.parse.quote(name))
        assert "Not found" in driver.find_element(By.TAG_NAME, "body").text
        step("uhl cannot see it")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
