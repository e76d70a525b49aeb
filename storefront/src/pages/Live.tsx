// Live rooms: the list, and one room: the HLS video while the room is live with a stream (the media
// module's playbackUrl, components/LivePlayer.tsx), the recording after it, a poster and schedule
// otherwise; chat with a send box for signed-in shoppers, system messages in the shopper's language
// (their key, not the server's English), likes (a local burst at once, taps sent together twice a
// second, the room's total from the server), gifts paid with coins (the balance, and a way to top up),
// the pinned product card with buy, purchase and moderation notices. The socket reconnects by itself
// (live-socket.ts).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api.ts';
import { useShop } from '../shop.tsx';
import { useCustomer } from '../session.ts';
import { ensureCart, LIVE_ROOM_KEY, useSetCart } from '../cart.ts';
import { cardVariant, useLiveRoom, type LiveMessage, type LiveState, type Notice, type ProductCard } from '../live-socket.ts';
import { LivePlayer } from '../components/LivePlayer.tsx';
import { COINS_KEY, useCoins } from '../coins.ts';
import { en, type MessageKey } from '../messages.ts';
import { formatMoney } from '../../../shared/format.ts';


function RoomList() {
  const { t, locale, problem } = useShop();
  const rooms = useQuery({ queryKey: ['live-rooms'], queryFn: async () => unwrap(await api.GET('/store/live/rooms')).items, refetchInterval: 15_000 });
  return (
    <>
      <h1>{t('liveRooms')}</h1>
      {rooms.isError ? <p role="alert">{problem(rooms.error)}</p> : null}
      {rooms.data && rooms.data.length === 0 ? <p>{t('noLiveRooms')}</p> : null}
      <ul className="product-grid" aria-label={t('liveRooms')}>
        {(rooms.data ?? []).map((room) => (
          <li key={room.id} className="product-card">
            <Link to={`/live/${room.id}`}>
              <div className="thumb poster">{room.coverUrl ? <img src={room.coverUrl} alt="" width="320" height="320" /> : <span aria-hidden="true">▶</span>}</div>
              <span className="card-title">{room.title}</span>
              <span className={room.state === 'live' ? 'on-air' : 'muted'}>
                {room.state === 'live' ? t('onAir') : room.state === 'ended' ? t('roomEnded') : room.scheduledAt ? t('scheduledFor', { time: new Date(room.scheduledAt).toLocaleString(locale) }) : t('notScheduled')}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}

function Hearts({ bursts }: { bursts: number[] }) {
  return (
    <div className="hearts" aria-hidden="true">
      {bursts.map((id) => (
        <span key={id} className="heart" style={{ left: `${(id * 37) % 80}%` }}>
          ♥
        </span>
      ))}
    </div>
  );
}

function Card({ card, roomId }: { card: ProductCard; roomId: string }) {
  const { t, locale, currency, problem } = useShop();
  const setCart = useSetCart();
  const navigate = useNavigate();
  const variant = cardVariant(card);
  const buy = useMutation({
    mutationFn: async () => {
      if (!variant) throw new Error(t('outOfStock'));
      const cartId = await ensureCart(currency);
      const cart = unwrap(await api.POST('/store/carts/{cartId}/lines', { params: { path: { cartId } }, body: { variantId: variant.id, quantity: 1 } }));
      localStorage.setItem(LIVE_ROOM_KEY, roomId);
      return cart;
    },
    onSuccess: (cart) => {
      setCart(cart);
      navigate('/cart');
    },
  });
  return (
    <section className="live-card" aria-label={t('pinned')}>
      {card.imageUrl ? <img src={card.imageUrl} alt="" width="72" height="72" /> : null}
      <div>
        <p className="muted small-caps">{t('pinned')}</p>
        <strong>{card.title}</strong>
        <p className="price">{card.price !== null ? formatMoney(card.price, card.currency, locale) : ''}</p>
        {!card.inStock ? <p className="notice">{t('outOfStock')}</p> : null}
      </div>
      <button type="button" className="primary" disabled={!card.inStock || buy.isPending} onClick={() => buy.mutate()}>
        {t('buyFromCard')}
      </button>
      {buy.isError ? <p role="alert">{problem(buy.error)}</p> : null}
    </section>
  );
}

/** A system message in the shopper's language when the page knows its key; the server's text otherwise. */
function messageText(message: LiveMessage, t: ReturnType<typeof useShop>['t']): string {
  const key = `system_${message.key ?? ''}`;
  return message.kind === 'system' && message.key && key in en ? t(key as MessageKey, message.params) : message.text;
}

function Gifts({ send, roomId, acked }: { send: (frame: Record<string, unknown>) => boolean; roomId: string; acked: LiveState['coins'] }) {
  const { t } = useShop();
  const client = useQueryClient();
  const gifts = useQuery({ queryKey: ['live-gifts'], queryFn: async () => unwrap(await api.GET('/store/live/gifts')).items });
  const coins = useCoins({ refetchInterval: 15_000 });
  // The balance the last gift left is newer than a fetch that started before it.
  const balance = acked && acked.at > coins.dataUpdatedAt ? acked.balance : (coins.data?.balance ?? 0);
  const active = (gifts.data ?? []).filter((g) => g.active);
  if (active.length === 0) return null;
  return (
    <section className="gifts" aria-label={t('gifts')}>
      <p data-testid="coin-balance">{t('coins', { count: balance })}</p>
      <Link to={`/coins?room=${encodeURIComponent(roomId)}`}>{t('topUp')}</Link>
      {active.map((gift) => (
        <button
          key={gift.id}
          type="button"
          disabled={balance < gift.priceCoins}
          onClick={() => {
            // The key makes a resent gift count once; the gift_ack frame brings the new balance.
            if (send({ type: 'gift', giftId: gift.id, count: 1, key: crypto.randomUUID() })) setTimeout(() => void client.invalidateQueries({ queryKey: COINS_KEY }), 2000);
          }}
        >
          {gift.iconUrl ? <img src={gift.iconUrl} alt="" width="24" height="24" /> : null}
          {t('sendGift', { name: gift.name, coins: gift.priceCoins })}
        </button>
      ))}
    </section>
  );
}

function NoticeText({ notice, roomId }: { notice: Notice; roomId: string }) {
  const { t } = useShop();
  switch (notice.kind) {
    case 'moderation':
      return <>{t(notice.text === 'mute' ? 'muted' : 'unmuted')}</>;
    case 'purchase':
      return <>{t('justBought', { who: notice.who ?? '', what: notice.what ?? '' })}</>;
    case 'gift':
      return <>{t('giftSent', { from: notice.who ?? '', name: notice.what ?? '', count: notice.count ?? 1 })}</>;
    default:
      return notice.code === 'insufficient_coins' ? (
        <>
          {t('notEnoughCoins')} <Link to={`/coins?room=${encodeURIComponent(roomId)}`}>{t('topUp')}</Link>
        </>
      ) : (
        <>{notice.text}</>
      );
  }
}

/** The room as the API has it: title and schedule before the socket's welcome, and its video. */
const roomDetails = (roomId: string) => ({
  queryKey: ['live-room', roomId],
  queryFn: async () => unwrap(await api.GET('/store/live/rooms/{roomId}', { params: { path: { roomId } } })),
});

/** The stage: the stream while live, the recording after, the poster and schedule otherwise. */
function Stage({ roomId, state }: { roomId: string; state: LiveState['room'] }) {
  const { t, locale } = useShop();
  const live = state?.state === 'live';
  const details = useQuery({
    ...roomDetails(roomId),
    // The media server's stream may come after the room went live: look again until the room has it.
    refetchInterval: (query) => (live && !query.state.data?.playbackUrl ? 5000 : false),
  });
  const { refetch } = details;
  // Going live or ending changes the room's video: read it again (not for the welcome's first state).
  const seen = useRef(state?.state);
  useEffect(() => {
    if (seen.current !== undefined && seen.current !== state?.state) void refetch();
    seen.current = state?.state;
  }, [state?.state, refetch]);
  const room = details.data;
  const cover = state?.coverUrl ?? room?.coverUrl ?? null;
  if (live && room?.playbackUrl) return <LivePlayer url={room.playbackUrl} poster={cover} />;
  if (state?.state === 'ended' && room?.recordingUrl) {
    return (
      <div className="player">
        <video src={room.recordingUrl} poster={room.posterUrl ?? cover ?? undefined} controls playsInline preload="none" aria-label={t('recording')} />
      </div>
    );
  }
  const scheduledAt = room?.scheduledAt;
  return (
    <div className="poster">
      {cover ? <img src={cover} alt="" width="640" height="360" /> : null}
      <p className="stage-text">
        {live ? t('videoUnavailable') : state?.state === 'ended' ? t('roomEnded') : scheduledAt ? t('scheduledFor', { time: new Date(scheduledAt).toLocaleString(locale) }) : t('notScheduled')}
      </p>
    </div>
  );
}

function Room({ roomId }: { roomId: string }) {
  const { t } = useShop();
  const customer = useCustomer();
  const { state, send } = useLiveRoom(roomId);
  const details = useQuery(roomDetails(roomId));
  const [text, setText] = useState('');
  const [bursts, setBursts] = useState<number[]>([]);
  const taps = useRef(0);
  const burstId = useRef(0);
  const [localTaps, setLocalTaps] = useState(0);
  const chatEnd = useRef<HTMLLIElement>(null);

  // Taps go out together twice a second (the server adds them up); the burst shows at once.
  useEffect(() => {
    const timer = setInterval(() => {
      if (taps.current > 0 && send({ type: 'like', count: Math.min(100, taps.current) })) taps.current = 0;
    }, 500);
    return () => clearInterval(timer);
  }, [send]);
  // The server's count now includes this viewer's taps.
  useEffect(() => {
    setLocalTaps(0);
  }, [state.likes]);
  useEffect(() => {
    chatEnd.current?.scrollIntoView({ block: 'nearest' });
  }, [state.messages.length]);

  const like = () => {
    taps.current += 1;
    setLocalTaps((n) => n + 1);
    burstId.current += 1;
    const id = burstId.current;
    setBursts((list) => [...list.slice(-11), id]);
    setTimeout(() => setBursts((list) => list.filter((b) => b !== id)), 1200);
  };
  const post = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = text.trim();
    if (trimmed && send({ type: 'post', text: trimmed })) setText('');
  };
  const room = state.room;
  return (
    <article className="live-room">
      <h1>{room?.title ?? details.data?.title ?? t('live')}</h1>
      <div className="stage">
        <Stage roomId={roomId} state={room} />
        <p className="live-counts" aria-live="off">
          {room?.state === 'live' ? <span className="on-air">{t('onAir')}</span> : null} {t('viewers', { count: state.viewers })} ·{' '}
          <span data-testid="like-count">{t('likes', { count: state.likes + localTaps })}</span>
        </p>
        <Hearts bursts={bursts} />
        <button type="button" className="like" onClick={like} aria-label={t('like')}>
          ♥
        </button>
      </div>
      <p role="status" className="connection">
        {state.connection === 'connecting' ? t('connecting') : state.connection === 'reconnecting' ? t('reconnecting') : state.closedCode === 4403 ? t('kicked') : ''}
      </p>
      {state.card ? <Card card={state.card} roomId={roomId} /> : null}
      <ul className="notices" aria-label={t('roomNews')} aria-live="polite">
        {state.notices.map((n) => (
          <li key={n.key} className={`notice-${n.kind}`} data-testid={`notice-${n.kind}`}>
            <NoticeText notice={n} roomId={roomId} />
          </li>
        ))}
      </ul>
      <section aria-labelledby="chat-heading" className="chat">
        <h2 id="chat-heading">{t('chat')}</h2>
        <ol role="log" aria-live="polite" className="chat-log" data-testid="chat-log">
          {state.messages.map((m) => (
            <li key={m.id} className={`chat-${m.kind}`}>
              {m.kind === 'system' ? null : <strong>{m.author}</strong>} {messageText(m, t)}
            </li>
          ))}
          <li ref={chatEnd} aria-hidden="true" />
        </ol>
        {customer.data ? (
          <form onSubmit={post} className="inline-form">
            <label htmlFor="chat-text" className="visually-hidden">
              {t('chatMessage')}
            </label>
            <input id="chat-text" value={text} maxLength={500} placeholder={t('chatMessage')} onChange={(e) => setText(e.target.value)} />
            <button type="submit">{t('send')}</button>
          </form>
        ) : (
          <Link to={`/account/sign-in?next=${encodeURIComponent(`/live/${roomId}`)}`}>{t('signInToChat')}</Link>
        )}
        {customer.data ? <Gifts send={send} roomId={roomId} acked={state.coins} /> : null}
      </section>
    </article>
  );
}

export default function Live() {
  const { roomId } = useParams();
  return roomId ? <Room key={roomId} roomId={roomId} /> : <RoomList />;
}
