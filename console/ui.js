/** What a button did, said on screen and to screen readers, and the page redrawn after it. */
let redraw = async () => {};
export const onRedraw = (fn) => {
  redraw = fn;
};

let clearing;
export function flash(text) {
  const status = document.getElementById('status');
  status.textContent = text;
  document.getElementById('live').textContent = text;
  clearTimeout(clearing);
  clearing = setTimeout(() => {
    status.textContent = '';
  }, 8000);
}

export async function act(what, request) {
  try {
    await request();
    flash(`${what}: done`);
  } catch (err) {
    flash(`${what} failed: ${err.message}`);
  }
  await redraw();
}
